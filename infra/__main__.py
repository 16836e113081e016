"""`python -m infra`: the offline command line (check, rehearse, schema).

The Pulumi program is not started from here: `pulumi up` runs the project root's
`__main__.py`, which calls `infra.deploy.program.run_program`.
"""

import sys

from infra.cli import main

sys.exit(main())
