"""Where the card runs: plain Python, no pytest inside.

`base.bench_for(profile, run_dir, options)` gives the profile's bench (QEMU or
a serial board); `device.Device.boot_card(bench, card, log)` powers it on,
judges the first boot and readies the shell the suites talk to.
"""
