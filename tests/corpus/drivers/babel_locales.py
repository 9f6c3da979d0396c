"""babel: its locale data are 1,100 pickles (of babel.numbers and babel.dates objects)
under babel/locale-data, listed and opened by path; global.dat likewise."""

from __future__ import annotations

import datetime
import decimal

from babel import Locale, dates, localedata, numbers, units
from babel.core import get_global


def main() -> None:
    identifiers = localedata.locale_identifiers()
    print("locales:", len(identifiers), localedata.exists("zu_ZA"), localedata.exists("xx_YY"))
    print("zone aliases:", len(get_global("zone_aliases")))
    moment = datetime.datetime(2024, 3, 1, 14, 5, tzinfo=datetime.timezone.utc)
    for code in ("en_US", "de_DE", "fr_CA", "ja_JP", "ar_EG", "hi_IN", "sr_Latn_RS"):
        locale = Locale.parse(code)
        print(f"{code}: {locale.get_display_name('en')} | {locale.plural_form(3)}")
        print("   ", numbers.format_decimal(decimal.Decimal("1234567.891"), locale=code))
        print("   ", numbers.format_currency(1099.5, "EUR", locale=code))
        print("   ", numbers.format_percent(0.256, locale=code))
        print("   ", dates.format_datetime(moment, "full", tzinfo=datetime.timezone.utc,
                                           locale=code))
        print("   ", units.format_unit(12, "length-kilometer", locale=code))


if __name__ == "__main__":
    main()
