package dev.millrace.benchmarks.nexmark;

import java.util.SplittableRandom;

/**
 * Nexmark-style events, each a pure function of (seed, index), so every runner and the plain-Java
 * baseline see exactly the same stream however they split it. Out of every 50 events 1 is a person,
 * 3 are auctions and 46 are bids, as in Nexmark; ten events per millisecond of event time.
 */
public final class Generator {
  public static final int PROPORTION_DENOMINATOR = 50;
  public static final long BASE_TIME = 1_700_000_000_000L;
  public static final int EVENTS_PER_MILLI = 10;

  private static final String[] FIRST = {
    "Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"
  };
  private static final String[] LAST = {
    "Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"
  };
  private static final String[] CITIES = {
    "Phoenix",
    "Los Angeles",
    "San Francisco",
    "Boise",
    "Portland",
    "Bend",
    "Redmond",
    "Seattle",
    "Kent",
    "Cheyenne"
  };
  private static final String[] STATES = {"AZ", "CA", "ID", "OR", "WA", "WY"};
  private static final String[] WORDS = {
    "vintage", "red", "bike", "lamp", "rare", "signed", "first", "edition", "oak", "table",
    "silver", "watch", "mint", "boxed", "old", "map"
  };

  private Generator() {}

  public static long timestampOf(long index) {
    return BASE_TIME + index / EVENTS_PER_MILLI;
  }

  /** Number of persons among the first {@code index} events. */
  static long personsBefore(long index) {
    return (index + PROPORTION_DENOMINATOR - 1) / PROPORTION_DENOMINATOR;
  }

  static long auctionsBefore(long index) {
    long epoch = index / PROPORTION_DENOMINATOR;
    long offset = index % PROPORTION_DENOMINATOR;
    return epoch * 3 + Math.max(0, Math.min(offset - 1, 3));
  }

  public static Event eventAt(long seed, long index) {
    SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + index);
    long timestamp = timestampOf(index);
    long offset = index % PROPORTION_DENOMINATOR;
    if (offset == 0) {
      long id = index / PROPORTION_DENOMINATOR;
      String name = pick(random, FIRST) + " " + pick(random, LAST);
      String email = name.replace(' ', '.').toLowerCase() + "@example.com";
      return new Event(
          new Person(id, name, email, pick(random, CITIES), pick(random, STATES), timestamp),
          null,
          null);
    }
    if (offset <= 3) {
      long id = auctionsBefore(index);
      // Sellers are recent persons, as in Nexmark: hot sellers make the join interesting.
      long persons = Math.max(1, personsBefore(index));
      long seller = persons - 1 - random.nextLong(Math.min(persons, 100));
      long initialBid = 100 + random.nextLong(10_000);
      String item = pick(random, WORDS) + " " + pick(random, WORDS);
      String description =
          item + " " + pick(random, WORDS) + " " + pick(random, WORDS) + " " + pick(random, WORDS);
      long expires = timestamp + 1000 + random.nextLong(20_000);
      int category = random.nextInt(20);
      return new Event(
          null,
          new Auction(
              id,
              item,
              description,
              initialBid,
              initialBid + random.nextLong(5_000),
              timestamp,
              expires,
              seller,
              category),
          null);
    }
    long auctions = Math.max(1, auctionsBefore(index));
    // Most bids go to a few hot auctions, the rest anywhere recent.
    long auction =
        random.nextInt(100) < 80
            ? auctions - 1 - random.nextLong(Math.min(auctions, 20))
            : auctions - 1 - random.nextLong(Math.min(auctions, 2_000));
    long persons = Math.max(1, personsBefore(index));
    long bidder = persons - 1 - random.nextLong(Math.min(persons, 1_000));
    long price = 100 + random.nextLong(100_000);
    return new Event(null, null, new Bid(auction, bidder, price, timestamp));
  }

  private static String pick(SplittableRandom random, String[] values) {
    return values[random.nextInt(values.length)];
  }
}
