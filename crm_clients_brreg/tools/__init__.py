from . import brreg
