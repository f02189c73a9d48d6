from . import test_sale_billing_entity
from . import test_sale_workspace
