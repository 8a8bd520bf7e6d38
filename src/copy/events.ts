/**
 * Progress of a copy, one event per state change of a blob, in Docker's words so the CLI can print
 * exactly what `docker pull` / `docker push` print.
 */
export type LayerStatus =
  | 'Pulling fs layer'
  | 'Waiting'
  | 'Downloading'
  | 'Verifying Checksum'
  | 'Download complete'
  | 'Extracting'
  | 'Pull complete'
  | 'Already exists'
  | 'Preparing'
  | 'Pushing'
  | 'Pushed'
  | 'Layer already exists'
  | `Mounted from ${string}`
  | `Retrying in ${number} second${'' | 's'}`;

export interface LayerEvent {
  /** Docker's id for the line: 12 hex of the blob digest (pull) or the diffID (push). */
  id: string;
  status: LayerStatus;
  /** Bytes so far and total, for Downloading/Pushing/Extracting. */
  current?: number;
  total?: number;
}

export type CopyEventHandler = (event: LayerEvent) => void;
