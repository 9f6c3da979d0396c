"""requests: prepare (never send) requests, decode a canned response, load the CA bundle.

Nothing here touches the network: requests are only prepared, and the
response is built by hand. The CA bundle must be a real, readable file,
because OpenSSL opens it by path.
"""

from __future__ import annotations

import os
import ssl

import certifi
import charset_normalizer
import idna
import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.auth import HTTPBasicAuth
from requests.utils import DEFAULT_CA_BUNDLE_PATH


def show(prepared: requests.PreparedRequest) -> None:
    print(prepared.method, prepared.url)
    for name, value in sorted(prepared.headers.items()):
        print(f"  {name}: {value}")
    body = prepared.body
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    print(f"  body: {body!r}")


def main() -> None:
    print("versions:", requests.__version__, urllib3.__version__, idna.__version__,
          charset_normalizer.__version__)

    session = requests.Session()
    session.headers["X-Client"] = "corpus"
    request = requests.Request(
        "POST",
        "https://api.example.com/v1/items",
        params={"q": "blue shoes", "page": 2},
        json={"name": "Widget", "tags": ["a", "b"], "price": 9.5},
        headers={"Accept": "application/json"},
        auth=HTTPBasicAuth("user", "pa:ss"),
    )
    show(session.prepare_request(request))

    form = requests.Request("PUT", "http://example.org/form", data={"a": "1", "b": "x y&z"})
    show(form.prepare())

    files = requests.Request("POST", "http://example.org/upload",
                             files={"report": ("report.csv", b"a,b\n1,2\n", "text/csv")},
                             data={"kind": "csv"})
    prepared = files.prepare()
    boundary = prepared.headers["Content-Type"].split("boundary=")[1]
    print("multipart parts:", prepared.body.count(boundary.encode()) - 1)

    # idna: an internationalised host name becomes punycode.
    show(requests.Request("GET", "https://bücher.example/straße?ä=ö").prepare())

    # charset_normalizer: a response without a declared charset.
    response = requests.Response()
    response.status_code = 200
    response.headers["Content-Type"] = "text/plain"
    response._content = "Привет, мир! Это проверка кодировки, длинная строка текста.".encode("cp1251")
    print("apparent encoding:", response.apparent_encoding)
    response.encoding = response.apparent_encoding
    print("text:", response.text)

    # The CA bundle, as requests and as certifi name it.
    print("bundle is certifi's:", DEFAULT_CA_BUNDLE_PATH == certifi.where())
    # A readable .pem file (importlib.resources may hand out a temporary copy).
    print("bundle file:", os.path.splitext(certifi.where())[1], os.path.isfile(certifi.where()))
    context = ssl.create_default_context(cafile=certifi.where())
    count = len(context.get_ca_certs())
    print("CA certificates loaded:", count)
    with open(certifi.where(), "rb") as handle:
        pem = handle.read()
    print("certificates in bundle file:", pem.count(b"-----BEGIN CERTIFICATE-----") == count)
    print("certifi.contents() agrees:", certifi.contents().count("BEGIN CERTIFICATE") == count)

    # What an adapter would hand to urllib3, still without a connection.
    adapter = HTTPAdapter(max_retries=3)
    print("retries:", adapter.max_retries.total, type(adapter.max_retries).__module__)
    conn_kw = adapter.build_connection_pool_key_attributes(
        session.prepare_request(requests.Request("GET", "https://example.com/")), True, None)
    print("pool key:", sorted(conn_kw[0].items()), sorted(conn_kw[1]))


if __name__ == "__main__":
    main()
