"""How artifacts are made: plain Python, no pytest inside.

Each recipe module (kernel, rootfs, sdcard) offers `fingerprint(...)` and
`build(ctx)`; `context.BuildContext` is all a recipe gets to talk to.
"""
