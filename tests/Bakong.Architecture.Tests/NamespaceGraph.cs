using System.Collections.Immutable;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Bakong.Architecture.Tests;

/// <summary>
/// Which namespace of an assembly uses which other namespace of the same assembly, read from its metadata: base types,
/// interfaces, field, method and local signatures, attributes, generic constraints, and every type, method and field
/// token in the method bodies (so a <c>new</c>, a call or a static read counts, not only a signature). A nested type
/// (a closure, an async state machine, a generated logger struct) belongs to the namespace of its outermost type.
/// Only namespaces under the assembly's root namespace are considered: generated helpers (regex, options validators,
/// gRPC contracts) are not ours to arrange.
/// </summary>
internal sealed class NamespaceGraph
{
    private readonly Dictionary<string, Dictionary<string, (string From, string To)>> _edges = new(StringComparer.Ordinal);

    private NamespaceGraph()
    {
    }

    /// <summary>Namespace → the namespaces it uses, each with one example: a type of the one and a type it uses.</summary>
    public IReadOnlyDictionary<string, Dictionary<string, (string From, string To)>> Edges => _edges;

    public static NamespaceGraph Read(string assemblyPath, string rootNamespace)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        var graph = new NamespaceGraph();
        var scanner = new Scanner(pe, reader, rootNamespace);
        foreach (var type in reader.TypeDefinitions)
        {
            if (scanner.NamespaceOf(type) is not { } from)
            {
                continue;
            }

            foreach (var used in scanner.TypesUsedBy(type))
            {
                if (scanner.NamespaceOf(used) is { } to && to != from)
                {
                    if (!graph._edges.TryGetValue(from, out var targets))
                    {
                        graph._edges[from] = targets = new(StringComparer.Ordinal);
                    }

                    targets.TryAdd(to, (scanner.NameOf(type), scanner.NameOf(used)));
                }
            }
        }

        return graph;
    }

    /// <summary>The groups of namespaces that reach each other (Tarjan's strongly connected components of two or more).</summary>
    public IReadOnlyList<IReadOnlyList<string>> Cycles()
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var cycles = new List<IReadOnlyList<string>>();

        void Visit(string node)
        {
            index[node] = low[node] = index.Count;
            stack.Push(node);
            onStack.Add(node);
            foreach (var next in _edges.TryGetValue(node, out var targets) ? targets.Keys : Enumerable.Empty<string>())
            {
                if (!index.TryGetValue(next, out var visited))
                {
                    Visit(next);
                    low[node] = Math.Min(low[node], low[next]);
                }
                else if (onStack.Contains(next))
                {
                    low[node] = Math.Min(low[node], visited);
                }
            }

            if (low[node] == index[node])
            {
                var component = new List<string>();
                string member;
                do
                {
                    member = stack.Pop();
                    onStack.Remove(member);
                    component.Add(member);
                }
                while (member != node);

                if (component.Count > 1)
                {
                    component.Sort(StringComparer.Ordinal);
                    cycles.Add(component);
                }
            }
        }

        foreach (var node in _edges.Keys.Order(StringComparer.Ordinal))
        {
            if (!index.ContainsKey(node))
            {
                Visit(node);
            }
        }

        return cycles;
    }

    private sealed class Scanner(PEReader pe, MetadataReader reader, string rootNamespace)
    {
        private readonly TypeCollector _collector = new();

        /// <summary>The namespace of the outermost type of <paramref name="type"/>; null when it is not below the root.</summary>
        public string? NamespaceOf(TypeDefinitionHandle type)
        {
            var definition = reader.GetTypeDefinition(type);
            while (definition.GetDeclaringType() is { IsNil: false } outer)
            {
                definition = reader.GetTypeDefinition(outer);
            }

            var name = reader.GetString(definition.Namespace);
            return name.StartsWith(rootNamespace + ".", StringComparison.Ordinal) ? name : null;
        }

        public string NameOf(TypeDefinitionHandle type)
        {
            var definition = reader.GetTypeDefinition(type);
            var name = reader.GetString(definition.Name);
            return definition.GetDeclaringType() is { IsNil: false } outer ? NameOf(outer) + "+" + name : reader.GetString(definition.Namespace) + "." + name;
        }

        public HashSet<TypeDefinitionHandle> TypesUsedBy(TypeDefinitionHandle handle)
        {
            var used = new HashSet<TypeDefinitionHandle>();
            var type = reader.GetTypeDefinition(handle);
            AddType(type.BaseType, used);
            foreach (var implementation in type.GetInterfaceImplementations())
            {
                AddType(reader.GetInterfaceImplementation(implementation).Interface, used);
            }

            AddAttributes(type.GetCustomAttributes(), used);
            AddConstraints(type.GetGenericParameters(), used);
            foreach (var field in type.GetFields())
            {
                var definition = reader.GetFieldDefinition(field);
                used.UnionWith(definition.DecodeSignature(_collector, null));
                AddAttributes(definition.GetCustomAttributes(), used);
            }

            foreach (var method in type.GetMethods())
            {
                var definition = reader.GetMethodDefinition(method);
                AddSignature(definition.DecodeSignature(_collector, null), used);
                AddAttributes(definition.GetCustomAttributes(), used);
                AddConstraints(definition.GetGenericParameters(), used);
                if (definition.RelativeVirtualAddress != 0)
                {
                    AddBody(pe.GetMethodBody(definition.RelativeVirtualAddress), used);
                }
            }

            foreach (var property in type.GetProperties())
            {
                AddAttributes(reader.GetPropertyDefinition(property).GetCustomAttributes(), used);
            }

            return used;
        }

        private void AddBody(MethodBodyBlock body, HashSet<TypeDefinitionHandle> used)
        {
            if (!body.LocalSignature.IsNil)
            {
                foreach (var local in reader.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(_collector, null))
                {
                    used.UnionWith(local);
                }
            }

            var il = body.GetILReader();
            while (il.RemainingBytes > 0)
            {
                var code = (ILOpCode)il.ReadByte();
                if ((int)code == 0xFE)
                {
                    code = (ILOpCode)(0xFE00 | il.ReadByte());
                }

                switch (OperandOf(code))
                {
                    case Operand.Token:
                        AddToken(il.ReadInt32(), used);
                        break;
                    case Operand.Switch:
                        var targets = il.ReadInt32();
                        il.Offset += 4 * targets;
                        break;
                    case var skip:
                        il.Offset += (int)skip;
                        break;
                }
            }
        }

        private void AddToken(int token, HashSet<TypeDefinitionHandle> used)
        {
            var handle = MetadataTokens.EntityHandle(token);
            switch (handle.Kind)
            {
                case HandleKind.TypeDefinition:
                case HandleKind.TypeReference:
                case HandleKind.TypeSpecification:
                    AddType(handle, used);
                    break;
                case HandleKind.MethodDefinition:
                    used.Add(reader.GetMethodDefinition((MethodDefinitionHandle)handle).GetDeclaringType());
                    break;
                case HandleKind.FieldDefinition:
                    used.Add(reader.GetFieldDefinition((FieldDefinitionHandle)handle).GetDeclaringType());
                    break;
                case HandleKind.MemberReference:
                    var member = reader.GetMemberReference((MemberReferenceHandle)handle);
                    AddToken(MetadataTokens.GetToken(member.Parent), used);
                    if (member.GetKind() == MemberReferenceKind.Method)
                    {
                        AddSignature(member.DecodeMethodSignature(_collector, null), used);
                    }
                    else
                    {
                        used.UnionWith(member.DecodeFieldSignature(_collector, null));
                    }

                    break;
                case HandleKind.MethodSpecification:
                    var specification = reader.GetMethodSpecification((MethodSpecificationHandle)handle);
                    AddToken(MetadataTokens.GetToken(specification.Method), used);
                    foreach (var argument in specification.DecodeSignature(_collector, null))
                    {
                        used.UnionWith(argument);
                    }

                    break;
            }
        }

        private void AddType(EntityHandle handle, HashSet<TypeDefinitionHandle> used)
        {
            if (handle.IsNil)
            {
                return; // the base type of an interface or of System.Object
            }

            switch (handle.Kind)
            {
                case HandleKind.TypeDefinition:
                    used.Add((TypeDefinitionHandle)handle);
                    break;
                case HandleKind.TypeSpecification:
                    used.UnionWith(reader.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(_collector, null));
                    break;
            }
        }

        private static void AddSignature(MethodSignature<ImmutableArray<TypeDefinitionHandle>> signature, HashSet<TypeDefinitionHandle> used)
        {
            used.UnionWith(signature.ReturnType);
            foreach (var parameter in signature.ParameterTypes)
            {
                used.UnionWith(parameter);
            }
        }

        private void AddAttributes(CustomAttributeHandleCollection attributes, HashSet<TypeDefinitionHandle> used)
        {
            foreach (var attribute in attributes)
            {
                AddToken(MetadataTokens.GetToken(reader.GetCustomAttribute(attribute).Constructor), used);
            }
        }

        private void AddConstraints(GenericParameterHandleCollection parameters, HashSet<TypeDefinitionHandle> used)
        {
            foreach (var parameter in parameters)
            {
                foreach (var constraint in reader.GetGenericParameter(parameter).GetConstraints())
                {
                    AddType(reader.GetGenericParameterConstraint(constraint).Type, used);
                }
            }
        }

        /// <summary>The operand of an IL instruction (ECMA-335 III): a metadata token, a switch table, or bytes to skip.</summary>
        private static Operand OperandOf(ILOpCode code)
        {
            if (code.IsBranch())
            {
                return (Operand)code.GetBranchOperandSize();
            }

            return code switch
            {
                ILOpCode.Call or ILOpCode.Callvirt or ILOpCode.Newobj or ILOpCode.Jmp or ILOpCode.Ldftn or ILOpCode.Ldvirtftn
                    or ILOpCode.Ldfld or ILOpCode.Ldflda or ILOpCode.Stfld or ILOpCode.Ldsfld or ILOpCode.Ldsflda or ILOpCode.Stsfld
                    or ILOpCode.Box or ILOpCode.Castclass or ILOpCode.Cpobj or ILOpCode.Initobj or ILOpCode.Isinst or ILOpCode.Ldelem
                    or ILOpCode.Ldelema or ILOpCode.Ldobj or ILOpCode.Mkrefany or ILOpCode.Newarr or ILOpCode.Refanyval or ILOpCode.Sizeof
                    or ILOpCode.Stelem or ILOpCode.Stobj or ILOpCode.Unbox or ILOpCode.Unbox_any or ILOpCode.Constrained
                    or ILOpCode.Ldtoken => Operand.Token,
                ILOpCode.Switch => Operand.Switch,
                ILOpCode.Ldstr or ILOpCode.Calli or ILOpCode.Ldc_i4 or ILOpCode.Ldc_r4 => Operand.Four,
                ILOpCode.Ldc_i8 or ILOpCode.Ldc_r8 => Operand.Eight,
                ILOpCode.Ldarg or ILOpCode.Ldarga or ILOpCode.Starg or ILOpCode.Ldloc or ILOpCode.Ldloca or ILOpCode.Stloc => Operand.Two,
                ILOpCode.Ldarg_s or ILOpCode.Ldarga_s or ILOpCode.Starg_s or ILOpCode.Ldloc_s or ILOpCode.Ldloca_s or ILOpCode.Stloc_s
                    or ILOpCode.Ldc_i4_s or ILOpCode.Unaligned => Operand.One,
                _ => Operand.None,
            };
        }

        private enum Operand
        {
            None = 0,
            One = 1,
            Two = 2,
            Four = 4,
            Eight = 8,
            Token = -1,
            Switch = -2,
        }
    }

    /// <summary>Decodes a signature into the type definitions of this assembly it names (type references lead elsewhere).</summary>
    private sealed class TypeCollector : ISignatureTypeProvider<ImmutableArray<TypeDefinitionHandle>, object?>
    {
        public ImmutableArray<TypeDefinitionHandle> GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => [handle];

        public ImmutableArray<TypeDefinitionHandle> GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => [];

        public ImmutableArray<TypeDefinitionHandle> GetTypeFromSpecification(
            MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);

        public ImmutableArray<TypeDefinitionHandle> GetPrimitiveType(PrimitiveTypeCode typeCode) => [];

        public ImmutableArray<TypeDefinitionHandle> GetGenericTypeParameter(object? genericContext, int index) => [];

        public ImmutableArray<TypeDefinitionHandle> GetGenericMethodParameter(object? genericContext, int index) => [];

        public ImmutableArray<TypeDefinitionHandle> GetGenericInstantiation(
            ImmutableArray<TypeDefinitionHandle> genericType, ImmutableArray<ImmutableArray<TypeDefinitionHandle>> typeArguments) =>
            typeArguments.Aggregate(genericType, (all, argument) => all.AddRange(argument));

        public ImmutableArray<TypeDefinitionHandle> GetArrayType(ImmutableArray<TypeDefinitionHandle> elementType, ArrayShape shape) => elementType;

        public ImmutableArray<TypeDefinitionHandle> GetSZArrayType(ImmutableArray<TypeDefinitionHandle> elementType) => elementType;

        public ImmutableArray<TypeDefinitionHandle> GetByReferenceType(ImmutableArray<TypeDefinitionHandle> elementType) => elementType;

        public ImmutableArray<TypeDefinitionHandle> GetPointerType(ImmutableArray<TypeDefinitionHandle> elementType) => elementType;

        public ImmutableArray<TypeDefinitionHandle> GetPinnedType(ImmutableArray<TypeDefinitionHandle> elementType) => elementType;

        public ImmutableArray<TypeDefinitionHandle> GetModifiedType(
            ImmutableArray<TypeDefinitionHandle> modifier, ImmutableArray<TypeDefinitionHandle> unmodifiedType, bool isRequired) =>
            unmodifiedType.AddRange(modifier);

        public ImmutableArray<TypeDefinitionHandle> GetFunctionPointerType(MethodSignature<ImmutableArray<TypeDefinitionHandle>> signature) =>
            signature.ParameterTypes.Aggregate(signature.ReturnType, (all, parameter) => all.AddRange(parameter));
    }
}
