from . import test_payment_warning
