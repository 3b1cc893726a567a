package dev.millrace.benchmarks.nexmark;

/** One generated event: exactly one of person, auction or bid is set. */
public record Event(Person person, Auction auction, Bid bid) {

  public long timestamp() {
    return person != null
        ? person.timestamp()
        : auction != null ? auction.timestamp() : bid.timestamp();
  }
}
