from . import test_client_type
from . import test_financials
