package dev.millrace.benchmarks.nexmark;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.AtomicCoder;

/** A compact, deterministic coder for {@link Event}, so no runner pays for Java serialization. */
public final class EventCoder extends AtomicCoder<Event> {
  private static final EventCoder INSTANCE = new EventCoder();

  public static EventCoder of() {
    return INSTANCE;
  }

  @Override
  public void encode(Event value, OutputStream outStream) throws IOException {
    DataOutputStream out = new DataOutputStream(outStream);
    if (value.person() != null) {
      Person p = value.person();
      out.writeByte(0);
      out.writeLong(p.id());
      out.writeUTF(p.name());
      out.writeUTF(p.email());
      out.writeUTF(p.city());
      out.writeUTF(p.state());
      out.writeLong(p.timestamp());
    } else if (value.auction() != null) {
      Auction a = value.auction();
      out.writeByte(1);
      out.writeLong(a.id());
      out.writeUTF(a.itemName());
      out.writeUTF(a.description());
      out.writeLong(a.initialBid());
      out.writeLong(a.reserve());
      out.writeLong(a.timestamp());
      out.writeLong(a.expires());
      out.writeLong(a.seller());
      out.writeInt(a.category());
    } else {
      Bid b = value.bid();
      out.writeByte(2);
      out.writeLong(b.auction());
      out.writeLong(b.bidder());
      out.writeLong(b.price());
      out.writeLong(b.timestamp());
    }
    out.flush();
  }

  @Override
  public Event decode(InputStream inStream) throws IOException {
    DataInputStream in = new DataInputStream(inStream);
    switch (in.readByte()) {
      case 0:
        return new Event(
            new Person(
                in.readLong(),
                in.readUTF(),
                in.readUTF(),
                in.readUTF(),
                in.readUTF(),
                in.readLong()),
            null,
            null);
      case 1:
        return new Event(
            null,
            new Auction(
                in.readLong(),
                in.readUTF(),
                in.readUTF(),
                in.readLong(),
                in.readLong(),
                in.readLong(),
                in.readLong(),
                in.readLong(),
                in.readInt()),
            null);
      case 2:
        return new Event(
            null, null, new Bid(in.readLong(), in.readLong(), in.readLong(), in.readLong()));
      default:
        throw new IOException("Unknown event tag");
    }
  }

  @Override
  public void verifyDeterministic() {}
}
