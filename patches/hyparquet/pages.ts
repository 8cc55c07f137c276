/**
 * Checks hyparquet 1.31.5 does not make of a page (src/encoding.js, src/column.js): what a
 * corrupt page says is refused with an error instead of being trusted. Each is called from one
 * line that patches/index.ts puts in hyparquet's file.
 *
 * Measured: one corrupt byte of a run header in SURF's fragments grew a page array to 14.5 GB
 * in 100 s (commit e471512). Unit tests (test/unit/patches.test.ts) read valid files as the stock
 * hyparquet does and each corruption as its error. Upstream: none found.
 */

/**
 * A run-length run (src/encoding.js readRle) must fit in what is left of its page: stock, a run
 * longer than the page (one corrupt byte of a run header) is written past the end of the page's
 * array, which grows without bound.
 */
export function checkRun(count: number, left: number): void {
  if (count > left) throw new Error(`parquet run of ${count} values overflows the page (${left} left)`)
}

/** What the checks read of hyparquet's page header. */
export interface PageHeader {
  type: string
  crc?: number | null
  data_page_header?: { num_values: number }
  data_page_header_v2?: { num_values: number }
  dictionary_page_header?: { num_values: number }
}

/**
 * A page of a flat column (src/column.js readColumn) may not declare more values than its row
 * group has rows left (a dictionary page: rows in the group): stock, a corrupt count allocates
 * arrays of that size. `groupRows` comes with hyparquet's plan of the row group (src/plan.js).
 */
export function checkPageValues(
  header: PageHeader,
  isFlat: boolean,
  groupRows: number | undefined,
  rowCount: number,
): void {
  if (!isFlat || groupRows === undefined) return
  const count =
    header.data_page_header?.num_values ??
    header.data_page_header_v2?.num_values ??
    header.dictionary_page_header?.num_values ??
    0
  const left = header.dictionary_page_header ? groupRows : groupRows - rowCount
  if (!(count >= 0 && count <= left)) {
    throw new Error(`parquet ${header.type} page declares ${count} values, the row group has ${left} left`)
  }
}

/**
 * A page with a checksum (src/column.js readPage) must match it: stock, the crc is never read, so
 * a flipped value in a checksummed page reads as another number.
 */
export function checkPageCrc(header: PageHeader, compressedBytes: Uint8Array): void {
  if (header.crc === undefined || header.crc === null) return
  const actual = Bun.hash.crc32(compressedBytes)
  if ((actual | 0) !== (header.crc | 0)) {
    throw new Error(`parquet page checksum mismatch: the header says ${header.crc >>> 0}, the page has ${actual >>> 0}`)
  }
}
