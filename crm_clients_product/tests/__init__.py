from . import test_group_pricelist
