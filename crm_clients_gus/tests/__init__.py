from . import test_gus
from . import test_tours
