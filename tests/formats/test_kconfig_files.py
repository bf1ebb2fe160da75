"""Reading .config files, fragments and Kconfig declarations."""

from pytest_quill.formats import kconfig


def test_parse_config_reads_set_unset_and_strings():
    text = 'CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C="-quill"\nCONFIG_D=m\n# comment\n'
    assert kconfig.parse_config(text) == {"A": "y", "B": "n", "C": '"-quill"', "D": "m"}


def test_merge_puts_the_fragment_last_so_a_choice_takes_its_value():
    base = "CONFIG_KERNEL_GZIP=n\n# CONFIG_KERNEL_GZIP is not set\nCONFIG_KERNEL_XZ=y\nCONFIG_KEEP=y\n"
    fragment = "# comment\nCONFIG_KERNEL_GZIP=y\n# CONFIG_KERNEL_XZ is not set\n"
    merged = kconfig.merge_config(base, fragment)
    assert merged.splitlines() == ["CONFIG_KEEP=y", "CONFIG_KERNEL_GZIP=y", "# CONFIG_KERNEL_XZ is not set"]


def test_declarations_collect_type_and_dependencies_including_enclosing_if(tmp_path):
    kconfig_file = tmp_path / "drivers" / "x" / "Kconfig"
    kconfig_file.parent.mkdir(parents=True)
    kconfig_file.write_text(
        'menuconfig PARENT\n\ttristate "p"\n\tdepends on PROC_FS\n\n'
        'if PARENT\n\nconfig CHILD\n\tbool "c"\n\tdepends on VT && !EMBEDDED\n\nendif\n'
        'config AFTER\n\tint "n"\n'
    )
    found = kconfig.declarations(kconfig_file, tmp_path)
    assert found["PARENT"].type == "tristate" and found["PARENT"].depends == ("PROC_FS",)
    assert found["CHILD"].type == "bool"
    assert found["CHILD"].depends == ("PARENT", "VT", "EMBEDDED")
    assert found["AFTER"].depends == () and found["CHILD"].file == "drivers/x/Kconfig"


def _write(root, files):
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def test_a_modern_tree_starts_at_the_top_kconfig_and_expands_srcarch(tmp_path):
    _write(
        tmp_path,
        {
            "Kconfig": 'source "init/Kconfig"\nsource "drivers/Kconfig"\n',
            "init/Kconfig": 'source "arch/$(SRCARCH)/Kconfig"\n',
            "arch/arm/Kconfig": "config ARM\n\tdef_bool y\n",
            "drivers/Kconfig": 'menu "Device Drivers"\nsource "drivers/x/Kconfig"\nendmenu\n',
            "drivers/x/Kconfig": "config X\n\tbool\n",
        },
    )
    assert kconfig.source_chain(tmp_path, "arm", "drivers/x/Kconfig") == [
        "Kconfig",
        "drivers/Kconfig",
        "drivers/x/Kconfig",
    ]
    assert kconfig.source_chain(tmp_path, "arm", "arch/arm/Kconfig") == [
        "Kconfig",
        "init/Kconfig",
        "arch/arm/Kconfig",
    ]


def test_an_old_tree_starts_at_arch_kconfig_and_misses_drivers_kconfig(tmp_path):
    _write(
        tmp_path,
        {
            "arch/arm/Kconfig": 'menu "Device Drivers"\nsource "drivers/base/Kconfig"\nendmenu\n',
            "drivers/base/Kconfig": "config STANDALONE\n\tbool\n",
            "drivers/Kconfig": 'menu "Device Drivers"\nsource "drivers/x/Kconfig"\nendmenu\n',
            "drivers/x/Kconfig": "config X\n\tbool\n",
        },
    )
    assert kconfig.root_kconfig(tmp_path, "arm") == tmp_path / "arch/arm/Kconfig"
    assert kconfig.source_chain(tmp_path, "arm", "drivers/x/Kconfig") is None
    assert kconfig.source_chain(tmp_path, "arm", "drivers/base/Kconfig") == [
        "arch/arm/Kconfig",
        "drivers/base/Kconfig",
    ]


def test_find_declaration_searches_every_kconfig_file(tmp_path):
    _write(tmp_path, {"fs/ext4/Kconfig": 'config EXT4_FS\n\ttristate "ext4"\n\tdepends on BLOCK\n'})
    found = kconfig.find_declaration(tmp_path, "EXT4_FS")
    assert (found.file, found.depends) == ("fs/ext4/Kconfig", ("BLOCK",))
    assert kconfig.find_declaration(tmp_path, "EXT5_FS") is None
