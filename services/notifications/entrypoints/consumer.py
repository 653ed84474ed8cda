from portico_kernel.service import run_consumer

from ..bootstrap import bootstrap

if __name__ == "__main__":
    run_consumer(bootstrap())
