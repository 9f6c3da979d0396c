"""lxml: its compiled etree imports _elementpath by name from C, which only the
extension module's own strings say."""

from lxml import etree, objectify

doc = etree.fromstring(b"<root><a x='1'>hi</a><b><c/><c n='2'/></b></root>")
print("find:", doc.find("b/c[@n='2']").get("n"), len(doc.findall(".//c")))
print("xpath:", doc.xpath("string(//a/@x)"))
transform = etree.XSLT(etree.XML(
    b"<xsl:stylesheet version='1.0' xmlns:xsl='http://www.w3.org/1999/XSL/Transform'>"
    b"<xsl:template match='/'><out><xsl:value-of select='//a'/></out></xsl:template>"
    b"</xsl:stylesheet>"))
print("xslt:", str(transform(doc)).strip())
print("objectify:", objectify.fromstring(b"<r><n>5</n></r>").n + 1)
print(etree.tostring(doc, pretty_print=True).decode(), end="")
