from . import (
    test_client_record,
    test_client_status,
    test_external_ref,
    test_polish_ids,
    test_query_count,
    test_search,
    test_security,
    test_tours,
)
