from . import test_client_record
from . import test_client_status
from . import test_external_ref
from . import test_polish_ids
from . import test_search
from . import test_query_count
from . import test_security
from . import test_tours
