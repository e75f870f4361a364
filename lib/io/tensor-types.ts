/** dtypes we read and write in safetensors files, and their element sizes in bytes. */
export const DTYPE_SIZES = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
} as const;

export type SafetensorsDtype = keyof typeof DTYPE_SIZES;

/** One tensor's entry in a safetensors header, with its absolute byte range in the file. */
export interface TensorEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Absolute byte offsets in the file: [begin, end). */
  begin: number;
  end: number;
}

/** A validated safetensors file: where its data starts and what it holds. */
export interface SafetensorsFile {
  path: string;
  headerLength: number;
  /** Absolute offset of the data section (8 + headerLength). */
  dataOffset: number;
  fileSize: number;
  metadata: Record<string, string>;
  tensors: Map<string, TensorEntry>;
}

/** A model's weights, possibly sharded: tensor name -> (file, entry). */
export interface WeightIndex {
  files: SafetensorsFile[];
  /** name -> index into `files` */
  location: Map<string, number>;
}

/** Host tensor handed to the writer (bytes already in the target dtype, little-endian). */
export interface HostTensor {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  data: Uint8Array;
}
