from . import bir
