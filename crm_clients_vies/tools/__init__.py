from . import vies
