from . import test_mailchimp
from . import test_mailchimp_webhook
from . import test_tours_screenshots
