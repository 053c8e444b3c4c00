// The language of every demo page: one 中文 / English switch, the choice remembered in localStorage.
// Reusable by any page of the demo:
//   <script src="/static/strings.js"></script><script src="/static/lang.js"></script>
//   <h2 data-i18n="key">English text</h2>         textContent from the strings table
//   <button data-i18n-title="key">                 the title attribute (also data-i18n-aria-label)
//   <div data-lang-switch></div>                    where the switch goes
//   GlassnetLang.t("key", {field: value})           a text made in JavaScript
//   document.addEventListener("glassnet:language", redraw)   redraw such texts when the language changes
// The language is the saved choice, else one suggested by the server (GlassnetLang.suggest), else the
// browser's (zh* -> Chinese), else English. A key missing in a language is shown in English.
"use strict";

(() => {
  const STORAGE_KEY = "glassnet.lang";
  const STRINGS = window.GLASSNET_STRINGS;
  const LANGUAGES = { zh: "中文", en: "English" };

  function saved() {
    try { return localStorage.getItem(STORAGE_KEY); } catch { return null; }  // storage may be off
  }

  function browserLanguage() {
    const wanted = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || "en"];
    return wanted.some((code) => String(code).toLowerCase().startsWith("zh")) ? "zh" : "en";
  }

  let current = STRINGS[saved()] ? saved() : browserLanguage();

  function t(key, fields) {
    const text = (STRINGS[current] && STRINGS[current][key]) ?? STRINGS.en[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (whole, name) => (fields && name in fields ? String(fields[name]) : whole));
  }

  function apply(root) {
    const scope = root || document;
    document.documentElement.lang = current === "zh" ? "zh-CN" : "en";
    scope.querySelectorAll("[data-i18n]").forEach((node) => {
      node.textContent = t(node.dataset.i18n, node.dataset.i18nFields ? JSON.parse(node.dataset.i18nFields) : undefined);
    });
    scope.querySelectorAll("[data-i18n-title]").forEach((node) => { node.title = t(node.dataset.i18nTitle); });
    scope.querySelectorAll("[data-i18n-aria-label]").forEach((node) => {
      node.setAttribute("aria-label", t(node.dataset.i18nAriaLabel));
    });
    document.querySelectorAll("[data-lang-switch] button").forEach((button) => {
      button.setAttribute("aria-pressed", String(button.dataset.lang === current));
    });
  }

  function set(lang, remember = true) {
    if (!STRINGS[lang]) return;
    current = lang;
    if (remember) { try { localStorage.setItem(STORAGE_KEY, lang); } catch { /* not remembered */ } }
    apply();
    document.dispatchEvent(new CustomEvent("glassnet:language", { detail: { lang } }));
  }

  // The server's language (GLASSNET_LANG) as the default, unless the reader has chosen one.
  function suggest(lang) {
    if (!STRINGS[saved()] && STRINGS[lang] && lang !== current) set(lang, false);
  }

  function buildSwitches() {
    document.querySelectorAll("[data-lang-switch]").forEach((box) => {
      box.classList.add("lang-switch");
      box.setAttribute("role", "group");
      box.setAttribute("aria-label", "Language / 语言");
      box.replaceChildren(...Object.entries(LANGUAGES).filter(([code]) => STRINGS[code]).map(([code, name]) => {
        const button = document.createElement("button");
        button.type = "button";
        button.dataset.lang = code;
        button.lang = code;
        button.textContent = name;
        button.addEventListener("click", () => set(code));
        return button;
      }));
    });
  }

  // Give ``node`` the text ``key`` (with ``fields``) now and again after every switch of language.
  function put(node, key, fields) {
    node.dataset.i18n = key;
    if (fields) node.dataset.i18nFields = JSON.stringify(fields); else delete node.dataset.i18nFields;
    node.textContent = t(key, fields);
    return node;
  }

  // A dataset's class name: its entry "class:NAME" when the tables have one, else the name itself.
  function putClass(node, name) {
    if (STRINGS.en[`class:${name}`] === undefined) { delete node.dataset.i18n; node.textContent = name; return node; }
    return put(node, `class:${name}`);
  }

  window.GlassnetLang = { t, set, suggest, apply, put, putClass, get: () => current };
  document.addEventListener("DOMContentLoaded", () => { buildSwitches(); apply(); });
})();
