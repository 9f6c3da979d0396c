"""pytz: every zone is a file under pytz/zoneinfo, opened through
os.path.join(os.path.dirname(__file__), 'zoneinfo', ...)."""

from __future__ import annotations

import datetime

import pytz

STAMPS = (0, 951782400, 1111111111, 1300000000, 1700000000, 2000000000)
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe",
         "America/St_Johns", "Pacific/Chatham", "Africa/Casablanca", "UTC")


def main() -> None:
    print("pytz", pytz.__version__, "olson", pytz.OLSEN_VERSION)
    print("zones:", len(pytz.all_timezones), len(pytz.common_timezones))
    for name in ZONES:
        zone = pytz.timezone(name)
        cells = []
        for stamp in STAMPS:
            moment = datetime.datetime.fromtimestamp(stamp, tz=pytz.utc).astimezone(zone)
            cells.append(moment.strftime("%Y-%m-%d %H:%M %Z%z"))
        print(f"{name}:")
        for cell in cells:
            print("   ", cell)
    berlin = pytz.timezone("Europe/Berlin")
    naive = datetime.datetime(2021, 3, 28, 2, 30)
    try:
        berlin.localize(naive, is_dst=None)
    except pytz.NonExistentTimeError as exc:
        print("non-existent:", exc)
    ambiguous = datetime.datetime(2021, 10, 31, 2, 30)
    for dst in (True, False):
        print("ambiguous", dst, berlin.localize(ambiguous, is_dst=dst).isoformat())
    moment = berlin.localize(datetime.datetime(2021, 3, 28, 1, 59))
    print("normalize:", berlin.normalize(moment + datetime.timedelta(minutes=2)).isoformat())
    print("country nz:", pytz.country_timezones["nz"])
    print("country name:", pytz.country_names["ci"])
    try:
        pytz.timezone("Mars/Olympus_Mons")
    except pytz.UnknownTimeZoneError as exc:
        print("unknown:", exc)


if __name__ == "__main__":
    main()
