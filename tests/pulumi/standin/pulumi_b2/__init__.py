"""Test stand-in for the SDK `pulumi package add terraform-provider backblaze/b2` generates.

Written from shared/reference/pulumi-b2.md (the provider's Terraform schema and the
generated SDK's surface), never from the program that uses it: generated-style
`@pulumi.input_type` Args classes with camelCase getters, `_internal_init` keyword
signatures (an unknown argument is a TypeError, as in the generated code), registration
through `RegisterPackage` with the parameterization in `pulumi-plugin.json`. It does
nothing else; B2 is not simulated. It is put on sys.path only when no real SDK is importable;
`tests/pulumi/pxb2_standin.py` builds variants for other provider versions.
"""

from . import _utilities
from ._inputs import *  # noqa: F403
from ._resource_args import *  # noqa: F403
from .application_key import *  # noqa: F403
from .bucket import *  # noqa: F403
from .get_account_info import *  # noqa: F403
from .provider import *  # noqa: F403

STANDIN = True
__version__ = _utilities.get_version()
