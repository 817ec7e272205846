"""cashier-app: a desktop cashier for ISP offices and travel agencies."""

import time as _time

__version__ = "0.1.0"

# The smoke start-up figure counts from here: the first import of the package.
STARTED_AT = _time.perf_counter()
