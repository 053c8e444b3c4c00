"""``python -m glassnet.cli ...`` runs the ``glassnet`` command."""
import sys

from . import main

sys.exit(main())
