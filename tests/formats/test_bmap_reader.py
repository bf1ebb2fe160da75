"""bmap.read: a map that is not one bmaptool wrote is one ValueError naming the file."""

import pytest

from pytest_quill.formats import bmap

MAP = """<?xml version="1.0" ?>
<bmap version="2.0">
    <ImageSize> 8192 </ImageSize>
    <BlockSize> 4096 </BlockSize>
    <BlocksCount> 2 </BlocksCount>
    <MappedBlocksCount> 1 </MappedBlocksCount>
    <ChecksumType> sha256 </ChecksumType>
    <BlockMap>
        {ranges}
    </BlockMap>
</bmap>
"""


def test_a_map_without_checksums_reads_its_ranges(tmp_path):
    path = tmp_path / "card.bmap"
    path.write_text(MAP.format(ranges="<Range> 1 </Range>"))
    block_map = bmap.read(path)
    assert (block_map.image_size, block_map.block_size, block_map.blocks) == (8192, 4096, 2)
    assert block_map.ranges == (bmap.Range(1, 1, None, 4096, 8192),)


def test_an_empty_range_is_a_value_error_naming_the_map(tmp_path):
    path = tmp_path / "card.bmap"
    path.write_text(MAP.format(ranges="<Range chksum='00'></Range>"))
    with pytest.raises(ValueError, match=f"^{path}: not a block map bmaptool wrote: "):
        bmap.read(path)


def test_a_map_without_its_image_size_is_a_value_error_naming_the_field(tmp_path):
    path = tmp_path / "card.bmap"
    path.write_text(MAP.format(ranges="<Range> 1 </Range>").replace("ImageSize", "Size"))
    with pytest.raises(ValueError, match=f"^{path}: not a block map bmaptool wrote: no ImageSize$"):
        bmap.read(path)
