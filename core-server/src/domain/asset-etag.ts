// Strong quoted entity-tag of an asset revision; bumped by every accepted business mutation.
export function assetEtag(uuid: string, revision: number): string {
  return `"${uuid}.${revision}"`;
}
