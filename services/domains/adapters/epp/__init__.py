"""EPP (RFC 5730-5734, RFC 3915): framing, XML and a client implementing the registry port.

The client (`client.py`) and the sandbox registry's server share `framing`, `xml` and `codes`.
"""
