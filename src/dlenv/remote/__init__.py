"""The box: a remote machine whose engine dlenv drives over SSH (`--host [user@]host[:port]`).

`address` parses and validates the box's address; `session` holds one multiplexed SSH connection
to it (an OpenSSH ControlMaster) that every probe, file copy and port forward reuses.
"""
