package dev.millrace.state;

import java.util.function.BiFunction;

/**
 * A state handle's way to its {@link CellCache.CachedCell}: found once, then kept until the cache
 * drops it, so that a read or write costs no lookup.
 */
final class CellHandle<C extends CellCache.CachedCell> {
  private final RocksDbStateBackend backend;
  private final byte[] key;
  private final BiFunction<CellCache, byte[], C> create;
  private C cell;

  CellHandle(RocksDbStateBackend backend, byte[] key, BiFunction<CellCache, byte[], C> create) {
    this.backend = backend;
    this.key = key;
    this.create = create;
  }

  C get() {
    if (cell == null || cell.dropped) {
      CellCache cells = backend.cells();
      cell = cells.cell(key, k -> create.apply(cells, k));
    } else {
      cell.used = true;
    }
    return cell;
  }
}
