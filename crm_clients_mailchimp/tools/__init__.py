from . import mailchimp
