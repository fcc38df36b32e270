from __future__ import annotations

import pytest
from packyard.common.errors import InvalidArgument
from packyard.protocol.description import check_description_renders, render_description

BROKEN_RST = "Title\n=====\n\n.. unknown-directive:: boom\n\n`unclosed reference\n"


def test_broken_rst_is_refused_with_warehouses_message() -> None:
    with pytest.raises(InvalidArgument) as info:
        check_description_renders(BROKEN_RST, "text/x-rst")
    assert info.value.message.startswith("The description failed to render for 'text/x-rst'.")


def test_rst_is_the_default_type() -> None:
    with pytest.raises(InvalidArgument, match="text/x-rst"):
        check_description_renders(BROKEN_RST, None)


@pytest.mark.parametrize(
    "ctype", ["text/markdown", "text/markdown; variant=CommonMark", "text/plain"]
)
def test_markdown_and_plain_text_always_render(ctype: str) -> None:
    check_description_renders(BROKEN_RST, ctype)
    assert render_description("# Hi", ctype)


def test_good_rst_and_empty_descriptions_pass() -> None:
    check_description_renders("Title\n=====\n\nSome *text*.\n", "text/x-rst")
    check_description_renders("", "text/x-rst")
    check_description_renders(None, None)
    html = render_description("Title\n=====\n\nSome *text*.\n", "text/x-rst")
    assert html is not None and "<em>text</em>" in html
