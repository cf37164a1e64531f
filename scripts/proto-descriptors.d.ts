import type { INamespace } from "protobufjs";

export declare const PROTO_FILES: string[];
export declare function protoDescriptor(root: string, protoFile: string, keepCase?: boolean): { keepCase: boolean; root: INamespace };
export declare function writeProtoDescriptors(root: string, dist: string): number;
