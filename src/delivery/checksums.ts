/** md5sum format, one `<md5>  <path inside the upload>` line per file, LF endings (docs/api.md, "Sending a file"). */
export function checksumFile(entries: Array<{ remotePath: string; md5: string }>): string {
  return [...entries]
    .sort((a, b) => (a.remotePath < b.remotePath ? -1 : a.remotePath > b.remotePath ? 1 : 0))
    .map((e) => `${e.md5}  ${e.remotePath}\n`)
    .join('');
}

/** The checksum file's name at the upload's root: one per shard, so matrix jobs never collide. */
export function checksumFileName(shard?: { index: number; count: number }): string {
  return shard ? `checksums-${shard.index}-of-${shard.count}.md5` : 'checksums.md5';
}
