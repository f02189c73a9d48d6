from . import peppol
