from . import test_mailchimp
