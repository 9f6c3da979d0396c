"""Faker: providers and locales are discovered with pkgutil.iter_modules over the
package's own directories, then imported by computed name. Seeded, so the
output is the same on every run."""

from __future__ import annotations

import datetime

from faker import Faker
from faker.config import AVAILABLE_LOCALES, PROVIDERS

START = datetime.datetime(2000, 1, 1)
END = datetime.datetime(2020, 12, 31)


def main() -> None:
    print("providers:", len(PROVIDERS), " ".join(p.rsplit(".", 1)[1] for p in PROVIDERS))
    print("locales:", len(AVAILABLE_LOCALES), "de_DE" in AVAILABLE_LOCALES, "ja_JP" in AVAILABLE_LOCALES)
    for locale in ("en_US", "de_DE", "ja_JP", "fr_FR"):
        Faker.seed(4321)
        fake = Faker(locale)
        print(f"== {locale}")
        print("  name:", fake.name())
        print("  address:", fake.address().replace("\n", " | "))
        print("  phone:", fake.phone_number())
        print("  company:", fake.company())
        print("  email:", fake.email())
        print("  job:", fake.job())
        print("  text:", fake.text(max_nb_chars=80).replace("\n", " "))
        print("  when:", fake.date_time_between(start_date=START, end_date=END).isoformat())
        print("  iban:", fake.iban())
        print("  color:", fake.color_name(), fake.hex_color())
        print("  uuid:", fake.uuid4())
    Faker.seed(7)
    multi = Faker(["it_IT", "pt_BR"])
    print("multi:", [multi[loc].name() for loc in ("it_IT", "pt_BR")], multi.name())
    print("profile keys:", sorted(multi["it_IT"].simple_profile()))


if __name__ == "__main__":
    main()
