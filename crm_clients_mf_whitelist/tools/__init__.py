from . import whitelist
