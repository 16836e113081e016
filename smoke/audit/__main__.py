"""`python -m smoke.audit` (the same command as `python -m smoke audit`)."""

import sys

from smoke.audit.cli import main

sys.exit(main())
