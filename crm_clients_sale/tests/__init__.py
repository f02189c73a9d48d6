from . import test_sale_billing_entity
