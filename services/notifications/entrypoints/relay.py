from portico_kernel.service import run_relay

from ..bootstrap import bootstrap

if __name__ == "__main__":
    run_relay(bootstrap())
