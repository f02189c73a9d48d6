from . import test_mailchimp
from . import test_mailchimp_webhook
