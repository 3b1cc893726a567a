package dev.millrace.state;

import java.util.function.BiFunction;

/**
 * A state handle's way to its {@link CellCache.CachedCell}: found once, then kept while the cache's
 * epoch stays the same, so that a read or write costs no lookup.
 */
final class CellHandle<C extends CellCache.CachedCell> {
  private final RocksDbStateBackend backend;
  private final byte[] key;
  private final BiFunction<CellCache, byte[], C> create;
  private C cell;
  private long epoch;

  CellHandle(RocksDbStateBackend backend, byte[] key, BiFunction<CellCache, byte[], C> create) {
    this.backend = backend;
    this.key = key;
    this.create = create;
  }

  C get() {
    CellCache cells = backend.cells();
    if (cell == null || epoch != cells.epoch()) {
      cell = cells.cell(key, k -> create.apply(cells, k));
      // Read after the lookup, which may have dropped every cell and moved the epoch on.
      epoch = cells.epoch();
    }
    return cell;
  }
}
