# ActorGateway: the `gateway` executable in a container. Data (journal, content, spool) lives in /data.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props ActorGateway.sln ./
COPY hocon/ hocon/
COPY samples/ samples/
COPY src/ src/
RUN dotnet publish src/ActorGateway.Host/ActorGateway.Host.csproj -c Release -o /app --nologo

# aspnet: the ESMTP listener runs on Kestrel.
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
# The .NET images ship a non-root "app" user; the data volume is created owned by it.
RUN mkdir -p /data && chown app:app /data
USER app
VOLUME ["/data"]
ENV GATEWAY_DATA_DIR=/data
ENTRYPOINT ["dotnet", "/app/gateway.dll"]
CMD ["run"]
