import type { Attrs, ConstTensor, SpecNode } from './op.js';

/** A graph as files describe it (ONNX, JSON): named values, initialisers and nodes. */
export interface GraphSpec {
  inputs: { name: string; shape: number[]; dtype: 'float32' | 'float64' }[];
  outputs: string[];
  initializers: { name: string; tensor: ConstTensor }[];
  nodes: SpecNode[];
  /** ONNX default-domain opset version the nodes follow. */
  opset: number;
  /** The file the graph came from (for error messages). */
  source: string;
  producer?: string;
  doc?: string;
}

export type { Attrs, ConstTensor, SpecNode };
