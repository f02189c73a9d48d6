from . import prh
