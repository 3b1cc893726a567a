package dev.millrace.plan;

/** An input or output port of one operator of one vertex. */
public record PortRef(int vertex, int operator, int port) {
  @Override
  public String toString() {
    return "v" + vertex + ".op" + operator + ":" + port;
  }
}
